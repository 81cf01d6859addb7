package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Areas as a client sends them, checked and turned into a proposal's areas.
// Every problem is named by its path (areas[0].options[3],
// areas[1].options[0].line_items[2].unit_price), all at once, so a builder
// can mark each field.

// checkAreas validates the shape of areas (counts, names, lengths, the
// chosen option) before any transaction: what is left is the catalog.
func checkAreas(p *Problems, in []ProposalAreaInput) {
	if len(in) == 0 || len(in) > maxProposalAreas {
		p.Add("areas", fmt.Sprintf("must have 1 to %d areas", maxProposalAreas))
		if len(in) > maxProposalAreas {
			return
		}
	}
	for i, a := range in {
		at := fmt.Sprintf("areas[%d]", i)
		checkProposalName(p, at+".name", a.Name)
		if a.ChosenOption != nil && (*a.ChosenOption < 0 || *a.ChosenOption >= len(a.Options)) {
			p.Add(at+".chosen_option", fmt.Sprintf("must be the index of one of its %d options (0-based)", len(a.Options)))
		}
		switch {
		case len(a.Options) == 0:
			p.Add(at+".options", "must have at least one option")
		case len(a.Options) > maxProposalOptions:
			p.Add(fmt.Sprintf("%s.options[%d]", at, maxProposalOptions), fmt.Sprintf("is one too many: an area has at most %d options", maxProposalOptions))
			continue
		}
		for j, o := range a.Options {
			oat := fmt.Sprintf("%s.options[%d]", at, j)
			checkProposalName(p, oat+".name", o.Name)
			checkProposalText(p, oat+".client_description", o.ClientDescription)
			checkProposalText(p, oat+".internal_notes", o.InternalNotes)
			if len(o.LineItems) > maxOptionLines {
				p.Add(oat+".line_items", fmt.Sprintf("must have at most %d lines", maxOptionLines))
				continue
			}
			for k, l := range o.LineItems {
				if l.CatalogItemID == nil { // a catalog line is checked against its item, in the transaction
					_, err := newLineItem(l, nil)
					p.absorb(fmt.Sprintf("%s.line_items[%d]", oat, k), err)
				}
			}
		}
	}
}

func checkProposalName(p *Problems, field, name string) {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > maxProposalName {
		p.Add(field, fmt.Sprintf("is required (1 to %d characters)", maxProposalName))
	}
}

func checkProposalText(p *Problems, field, text string) {
	if utf8.RuneCountInString(text) > maxProposalText {
		p.Add(field, fmt.Sprintf("must be at most %d characters", maxProposalText))
	}
}

// proposalAreas turns checked areas into a proposal's, each line made as a
// ticket's line would be (newLineItem: catalog defaults, kinds, quantity
// and price bounds, whole quantities of stocked items).
func proposalAreas(tx *bolt.Tx, in []ProposalAreaInput) ([]ProposalArea, error) {
	var p Problems
	out := make([]ProposalArea, len(in))
	for i, a := range in {
		area := ProposalArea{Name: strings.TrimSpace(a.Name), Options: make([]ProposalOption, len(a.Options))}
		if a.ChosenOption != nil {
			area.ChosenOption = *a.ChosenOption
		}
		for j, o := range a.Options {
			opt := ProposalOption{Name: strings.TrimSpace(o.Name), ClientDescription: strings.TrimSpace(o.ClientDescription),
				InternalNotes: strings.TrimSpace(o.InternalNotes), LineItems: make([]ProposalLine, 0, len(o.LineItems))}
			for k, l := range o.LineItems {
				at := fmt.Sprintf("areas[%d].options[%d].line_items[%d]", i, j, k)
				line, err := proposalLine(tx, l)
				if err != nil {
					if !p.absorb(at, err) {
						return nil, err
					}
					continue
				}
				opt.LineItems = append(opt.LineItems, line)
			}
			area.Options[j] = opt
		}
		out[i] = area
	}
	return out, p.Err()
}

// proposalLine is one line as given, from its catalog item when it names one.
func proposalLine(tx *bolt.Tx, in LineItemInput) (ProposalLine, error) {
	var from *CatalogItem
	if in.CatalogItemID != nil {
		c, err := getRecord[CatalogItem](tx, catalogItems.records, *in.CatalogItemID, "catalog item")
		if isNotFound(err) {
			return ProposalLine{}, Invalid("catalog_item_id", "no catalog item has this id")
		} else if err != nil {
			return ProposalLine{}, err
		}
		from = c
	}
	li, err := newLineItem(in, from)
	if err != nil {
		return ProposalLine{}, err
	}
	return ProposalLine{CatalogItemID: li.CatalogItemID, Kind: li.Kind, Description: li.Description,
		Quantity: li.Quantity, UnitPrice: li.UnitPrice, Taxable: li.Taxable}, nil
}

// absorb adds a validation error's fields under prefix and says it did (nil
// is absorbed: nothing to add); any other error is not.
func (p *Problems) absorb(prefix string, err error) bool {
	if err == nil {
		return true
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, f := range ve.Fields {
		p.Add(prefix+"."+f.Field, f.Message)
	}
	return true
}
