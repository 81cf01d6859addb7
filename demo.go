package main

import (
	"context"
	"portal/store"
)

// seedDemo gives an empty sandbox store a few customers and tickets in
// different states, so a developer's first GET returns something real.
func seedDemo(ctx context.Context, s *store.Store) error {
	if err := seedDemoStaff(ctx, s); err != nil {
		return err
	}
	page, err := s.ListCustomers(store.ListQuery{PerPage: 1}, "")
	if err != nil || page.Total > 0 {
		return err
	}
	type demoTicket struct {
		device store.Device
		issue  string
		status string
		part   string
		price  store.Money
		paid   store.Money
	}
	demo := []struct {
		customer store.CustomerInput
		tickets  []demoTicket
	}{
		{store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0018", Company: "Analytical Engines Ltd"},
			[]demoTicket{{store.Device{Brand: "Apple", Model: "iPhone 13"}, "Cracked screen", "In Progress", "Screen assembly", 12900, 0},
				{store.Device{Brand: "Apple", Model: "iPad Air"}, "Battery drains overnight", "Closed", "Battery replacement", 8900, 8900}}},
		{store.CustomerInput{Name: "Grace Hopper", Email: "grace@example.com", Phone: "+1 202 555 0143"},
			[]demoTicket{{store.Device{Brand: "Lenovo", Model: "ThinkPad T14"}, "Will not power on", "New", "", 0, 0}}},
		{store.CustomerInput{Name: "Alan Turing", Email: "alan@example.com", Phone: "+44 161 496 0732"},
			[]demoTicket{{store.Device{Brand: "Samsung", Model: "Galaxy S22"}, "Charging port loose", "Waiting for Parts", "Charging port", 4500, 2000}}},
	}
	for _, d := range demo {
		c, err := s.CreateCustomer(ctx, d.customer)
		if err != nil {
			return err
		}
		for _, dt := range d.tickets {
			t, err := s.CreateTicket(ctx, store.TicketInput{CustomerID: c.ID, Device: dt.device, Issue: dt.issue})
			if err != nil {
				return err
			}
			if dt.part != "" {
				price, qty := dt.price, store.Quantity(100)
				if _, _, err := s.AddLineItem(ctx, t.ID, store.LineItemInput{Kind: "part", Description: dt.part, Quantity: &qty, UnitPrice: &price}); err != nil {
					return err
				}
			}
			if dt.paid > 0 {
				amount := dt.paid
				if _, _, err := s.AddPayment(ctx, t.ID, store.PaymentInput{Amount: &amount, Method: "card"}); err != nil {
					return err
				}
			}
			if dt.status != "New" {
				status := dt.status
				if _, err := s.UpdateTicket(ctx, t.ID, store.TicketPatch{Status: &status}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// seedDemoStaff gives the test store staff of its own: test mode never sees
// the live shop's people, so /users and assigned_to need these. They are
// records only; nobody can sign in as them (sign-in uses the live store).
func seedDemoStaff(ctx context.Context, s *store.Store) error {
	staff, err := s.Users(false)
	if err != nil || len(staff) > 0 {
		return err
	}
	for _, in := range []store.InviteInput{
		{Name: "Dana Whitfield", Email: "dana@example.com", Role: "owner"},
		{Name: "Sam Rivera", Email: "sam@example.com", Role: "technician"},
		{Name: "Priya Shah", Email: "priya@example.com", Role: "front_desk"},
	} {
		if _, _, err := s.InviteUser(ctx, in); err != nil {
			return err
		}
	}
	return nil
}
