package store

import (
	"testing"
)

// A changed or removed line item says which line and what it was, so a
// timeline can write "Sam removed Screen" and an undo can put it back.
func TestLineItemChangesNameTheLine(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	_, tk := ticketFor(t, s, "Ann")
	price := money(t, "89.50")
	li, _, err := s.AddLineItem(ctx, tk.ID, LineItemInput{Description: "Screen", UnitPrice: price})
	if err != nil {
		t.Fatal(err)
	}
	type lineChange struct {
		LineItemID uint64 `json:"line_item_id"`
		Changes    struct {
			LineItem struct {
				From *LineItem `json:"from"`
				To   *LineItem `json:"to"`
			} `json:"line_item"`
		} `json:"changes"`
	}
	evs := expectEvents(t, s, []string{"ticket.updated"}, func() error {
		_, _, err := s.UpdateLineItem(ctx, tk.ID, li.ID, LineItemPatch{Quantity: ptr(Quantity(200))})
		return err
	})
	upd := decode[lineChange](t, evs[0].Data)
	if upd.LineItemID != li.ID || upd.Changes.LineItem.From.Quantity != 100 || upd.Changes.LineItem.To.Quantity != 200 {
		t.Errorf("update carries %s", evs[0].Data)
	}
	evs = expectEvents(t, s, []string{"ticket.updated"}, func() error {
		_, err := s.DeleteLineItem(ctx, tk.ID, li.ID)
		return err
	})
	del := decode[lineChange](t, evs[0].Data)
	if from := del.Changes.LineItem.From; del.LineItemID != li.ID || from == nil || from.Description != "Screen" ||
		from.UnitPrice != *price || del.Changes.LineItem.To != nil {
		t.Errorf("removal carries %s", evs[0].Data)
	}
}
