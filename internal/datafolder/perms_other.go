//go:build !windows

package main

// protectDataFolder: elsewhere the folder's mode (0700, set when it is made)
// already keeps other users out.
func protectDataFolder(string) error { return nil }
