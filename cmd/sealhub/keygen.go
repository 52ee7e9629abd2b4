package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

func (e *env) keygenCommand() *cobra.Command {
	var out string
	var force, keep bool
	cmd := &cobra.Command{
		Use:   "keygen [--out] PREFIX",
		Short: "Make an SM2 key pair for signing pushes: PREFIX.key (private) and PREFIX.pub (public)",
		Long: `Make an SM2 key pair. PREFIX.key is the private key (PKCS#8 PEM, mode 0600): the registry or
the administrator signs pushes with it (--key of push, import and admin). PREFIX.pub is the public
key (PEM): the administrator registers it (sealhub admin registry create --add-key PREFIX.pub), or
the hub is started with it as an administrator key (sealhub server --admin-key PREFIX.pub).
Existing files are not overwritten unless --force is given; with --keep-existing an existing pair
is kept and the command succeeds, so provisioning can run it on every start.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			prefix := out
			switch {
			case len(args) == 1 && out != "" && args[0] != out:
				return usageError("give the prefix once: --out %s or %s", out, args[0])
			case len(args) == 1:
				prefix = args[0]
			case prefix == "":
				return usageError("keygen needs a prefix: sealhub keygen --out registry-37")
			}
			if force && keep {
				return usageError("--force and --keep-existing contradict each other")
			}
			if keep {
				if kept, err := e.keygenKept(prefix); kept || err != nil {
					return err
				}
			}
			return e.keygen(prefix, force)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "prefix of the files to write (PREFIX.key, PREFIX.pub)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	cmd.Flags().BoolVar(&keep, "keep-existing", false, "succeed without writing when PREFIX.key and PREFIX.pub both exist")
	return cmd
}

// keygenKept reports whether the pair at prefix exists (--keep-existing), saying so.
func (e *env) keygenKept(prefix string) (bool, error) {
	prefix = strings.TrimSuffix(strings.TrimSuffix(prefix, ".key"), ".pub")
	kept, err := existingPair(prefix+".key", prefix+".pub")
	if kept {
		fmt.Fprintf(e.stdout, "kept %s.key and %s.pub\n", prefix, prefix)
	}
	return kept, err
}

// existingPair reports whether both files of a pair (a key and its public half or certificate)
// exist; one without the other is an error, since the pair cannot be completed without a new one.
func existingPair(a, b string) (bool, error) {
	_, errA := os.Lstat(a)
	_, errB := os.Lstat(b)
	switch {
	case errA == nil && errB == nil:
		return true, nil
	case errA == nil || errB == nil:
		return false, usageError("only one of %s and %s exists; remove it to make a new pair", a, b)
	}
	return false, nil
}

func (e *env) keygen(prefix string, force bool) error {
	prefix = strings.TrimSuffix(strings.TrimSuffix(prefix, ".key"), ".pub")
	keyPath, pubPath := prefix+".key", prefix+".pub"
	if !force {
		for _, p := range []string{keyPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return usageError("%s exists; use --force to overwrite it", p)
			}
		}
	}
	k, err := smcrypto.GenerateKey()
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	priv, err := smcrypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	pub, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if err := writeKeyFile(keyPath, priv, 0o600, force); err != nil {
		return usageError("%v", err)
	}
	if err := writeKeyFile(pubPath, pub, 0o644, force); err != nil {
		return usageError("%v", err)
	}
	fmt.Fprintf(e.stdout, "key id:      %s\nprivate key: %s (keep it secret)\npublic key:  %s\n",
		smcrypto.KeyID(&k.PublicKey), keyPath, pubPath)
	return nil
}

// writeKeyFile writes a new file with mode perm, refusing to replace one unless overwrite is set,
// in which case the file is replaced atomically (so a key never has another file's mode).
func writeKeyFile(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	if overwrite {
		return writeFileAtomic(path, data, perm)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; use --force to overwrite it", path)
		}
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// writeFileAtomic replaces path with data: written to a temporary file beside it, synced, given
// mode perm, and renamed over it. A crash leaves the old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		_ = os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable; not every platform can sync a directory
		_ = d.Close()
	}
	return nil
}
