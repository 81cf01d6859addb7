// Package hooks turns the store's event log into signed webhook deliveries.
// It is empty until the webhook engine lands; receivers will find the
// exported Verify functions here.
package hooks
