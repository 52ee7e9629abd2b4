package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/spf13/cobra"
)

// apikeyCommand makes a verifier API key: the key for the verifier, and the entry (name + SM3) for
// the server configuration, which never holds the key itself.
func (e *env) apikeyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "apikey NAME",
		Short: "Make an API key for a verifier and print its server configuration entry",
		Long: `Make a random API key for the verifier NAME (e.g. national-platform). The key is printed
once, for the verifier (it sends it as X-API-Key or Authorization: Bearer); the server configuration
gets only its SM3, in the entry printed below it (api.keys in the config file).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if name == "" || len(name) > 64 || strings.IndexFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }) >= 0 {
				return usageError("NAME %q: want 1-64 printable characters without spaces", name)
			}
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			key := "shk_" + base64.RawURLEncoding.EncodeToString(b)
			entry, err := json.Marshal(httpapi.APIKey{Name: name, SM3: httpapi.HashAPIKey(key)})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "key (give it to %s; it is not stored anywhere):\n  %s\n\nentry for api.keys in the server configuration:\n  %s\n", name, key, entry)
			return nil
		},
	}
}
