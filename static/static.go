// Package static embeds the stylesheet and the little script there is, and
// serves them under content-hashed names so they can be cached for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// Prefix is where the assets are mounted.
const Prefix = "/static/"

type asset struct {
	name string
	body []byte
	etag string
}

// byHashed and hashed index the embedded files by content-hashed name and by
// plain name; both are computed once, when the program starts.
var byHashed, hashed = index()

func index() (map[string]asset, map[string]string) {
	byHashed, hashed := map[string]asset{}, map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(p)
		name := strings.TrimSuffix(p, ext) + "." + h + ext
		byHashed[name] = asset{name: p, body: b, etag: `"` + h + `"`}
		hashed[p] = Prefix + name
		return nil
	})
	return byHashed, hashed
}

// Path returns the hashed URL of an asset, e.g. Path("css/app.css").
func Path(name string) string {
	if p, ok := hashed[name]; ok {
		return p
	}
	return Prefix + name
}

// Handler serves the hashed assets. Unknown names are 404: an old page asking
// for an old hash gets nothing rather than a mismatched file.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := byHashed[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", a.etag)
		if ct := mime.TypeByExtension(path.Ext(a.name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(a.body)
	})
}
