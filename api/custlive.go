package api

import (
	"net/http"
)

// customerLive is the customer's live feed (custlive.go in full).
func (s *Server) customerLive(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	return errCustomerNotFound
}
