package ingest

import (
	"bytes"
	"encoding/json"

	"github.com/gin-gonic/gin"
)

// registryOf peeks at the registry a push body names, for metrics labels only (it is trusted only
// after the state knows the registry).
func registryOf(c *gin.Context) string {
	body, ok := c.Get(bodyKey)
	if !ok {
		return ""
	}
	var p struct {
		Registry string `json:"registry"`
	}
	dec := json.NewDecoder(bytes.NewReader(body.([]byte)))
	if dec.Decode(&p) != nil {
		return ""
	}
	return p.Registry
}

const bodyKey = "sealhub.body"
