// Package sandbox holds the files `portal serve --sandbox` serves besides the
// console: the sample plugin "hello" at /sandbox/plugins/hello/, a plugin's
// own site (manifest, widget page, OAuth client) for developers to copy.
package sandbox

import (
	"embed"
	"io/fs"
)

//go:embed plugins
var files embed.FS

// Files is the sandbox's static site, rooted so that "plugins/hello/widget.html"
// is served at /sandbox/plugins/hello/widget.html.
func Files() fs.FS { return files }
