//go:build !unix

package datafolder

// syscallUmask is a no-op where there is no umask; the socket is chmodded after.
func syscallUmask(mask int) int { return mask }
