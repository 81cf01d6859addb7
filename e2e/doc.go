// Package e2e tests the appliance as a process: it builds the portal binary
// once (TestMain) and runs it for real — SIGKILL and restart, a full disk,
// TLS on a network address, the service wrapper, backup and restore, the
// CLI, and the console in Chromium. Benchmarks of the whole server live
// here too. Unit tests stay beside the code they test.
package e2e
