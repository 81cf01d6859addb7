package main

import (
	"embed"
	"io/fs"
)

//go:embed ui
var uiFiles embed.FS

// consoleFS is the embedded console, rooted at ui/.
func consoleFS() fs.FS {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder exists
	}
	return sub
}
