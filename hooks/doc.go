// Package hooks turns the store's event log into signed webhook deliveries.
//
// Each webhook has a format (FormatByName, FormatNames) that fixes the exact
// bytes on the wire: portal (the default), portalio, porter and standard
// (standardwebhooks.com). A Format builds the body and signature headers for
// one event; the engine sends them and retries on the format's schedule.
//
// Receivers written in Go can check a request with Verify (or VerifyPortal,
// VerifyPortalio, VerifyPorter, VerifyStandard), which compare signatures in
// constant time and refuse timestamps outside a tolerance. The MSS functions
// compute Portal.io's X-MSS request signatures for the subscription API.
package hooks
