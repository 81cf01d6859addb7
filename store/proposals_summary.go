package store

import "fmt"

// The proposals' arithmetic, in cents: each line's total is rounded as a
// ticket line's (mulRound), and tax is percentOf the taxable lines' sum at
// the proposal's rate, as a ticket's is. The chosen options' summary takes
// the tax of all their taxable lines together rather than adding each
// option's rounded tax, so it is, to the cent, the tax the ticket will
// charge once the proposal is accepted onto it.

// summer adds lines up into a summary.
type summer struct {
	sum     ProposalSummary
	taxable Money
}

func (s *summer) add(l ProposalLine) {
	switch l.Kind {
	case "service":
		s.sum.Labor += l.Total
	case "fee":
		s.sum.Fees += l.Total
	default: // part, product
		s.sum.Parts += l.Total
	}
	s.sum.Subtotal += l.Total
	if l.Taxable {
		s.taxable += l.Total
	}
}

// done is the summary, with tax at rate.
func (s *summer) done(rate Percent) ProposalSummary {
	out := s.sum
	out.Tax = percentOf(s.taxable, int64(rate))
	out.Total = out.Subtotal + out.Tax
	return out
}

// summarize sets every line's total, every option's summary and the
// proposal's (over each area's chosen option). A total past MaxAmount is a
// 422 naming the option, or the areas when only the whole is too much.
func (p *Proposal) summarize() error {
	var chosen summer
	for i := range p.Areas {
		a := &p.Areas[i]
		for j := range a.Options {
			o := &a.Options[j]
			var s summer
			for k := range o.LineItems {
				l := &o.LineItems[k]
				l.Total = mulRound(l.UnitPrice, l.Quantity)
				s.add(*l)
				if j == a.ChosenOption {
					chosen.add(*l)
				}
			}
			o.Summary = s.done(p.TaxRate)
			if o.Summary.Total > MaxAmount {
				return Invalid(fmt.Sprintf("areas[%d].options[%d]", i, j), "make the option's total more than "+MaxAmount.String())
			}
		}
	}
	p.Summary = chosen.done(p.TaxRate)
	if p.Summary.Total > MaxAmount {
		return Invalid("areas", "make the proposal's total more than "+MaxAmount.String())
	}
	return nil
}

// chosenLines are the lines of each area's chosen option, in order: what
// accepting puts on the ticket.
func (p *Proposal) chosenLines() []ProposalLine {
	var out []ProposalLine
	for _, a := range p.Areas {
		out = append(out, a.Options[a.ChosenOption].LineItems...)
	}
	return out
}
