package console

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/timeline"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
)

// ownerSees builds the top of the console's owner page: each car as the
// owner's page shows it right now (built by the owner page's own builder,
// in the owner's language on file), with what staff need beside it: the
// state and since when, the last error, the last email about the car and
// whether its link was used, the campaigns the car is in, and whether it
// changed hands.
func (con *Handler) ownerSees(ctx context.Context, o model.Owner, vs []model.Vehicle) (consoleviews.OwnerSees, error) {
	lang := con.I18n.Match(o.Locale)
	loc := con.I18n.Localizer(lang)
	sees := consoleviews.OwnerSees{Lang: lang, Localizer: loc, Summary: con.OwnerCards.Summary(loc, vs)}
	for _, l := range i18n.Supported {
		if l.Tag == lang {
			sees.Language = l.Name
		}
	}
	// The newest events are enough: the summary is about now.
	evs, err := con.Store.OwnerTimeline(ctx, o.ID, store.Page{Limit: 500})
	if err != nil {
		return sees, err
	}
	facts, err := timeline.Gather(ctx, con.Store, o.ID, vs, evs)
	if err != nil {
		return sees, err
	}
	lastErrors := timeline.LastErrors(evs)
	emails, err := con.Store.EmailsByOwner(ctx, o.ID, store.Page{Limit: 100})
	if err != nil {
		return sees, err
	}
	ownerCtx := i18n.WithLocalizer(ctx, loc)
	for _, v := range vs {
		card := con.OwnerCards.Card(ownerCtx, v)
		// Inert, and with test hooks of its own: the console's copy must
		// never be taken for the owner's page.
		card.Preview, card.TestID = true, consoleviews.PreviewTestID(v.SmartcarID)
		car := consoleviews.CarSummary{
			Card: card, Title: card.Title, SmartcarID: v.SmartcarID,
			State: consoleChip(v.State), Since: v.StateChangedAt, OwnerChangedAt: v.OwnerChangedAt,
		}
		if e, ok := lastErrors[v.ID]; ok {
			car.LastError, car.LastErrorAt = timeline.Sentence(e, facts), &e.OccurredAt
		}
		if em, ok := lastEmailAbout(emails, v.ID); ok {
			car.LastEmail, car.LastEmailAt = em.Subject, em.SentAt
			if car.LastEmail == "" {
				car.LastEmail = em.Kind
			}
			if used, ok := facts.LinkUsed[em.MessageID]; ok && em.SentAt != nil {
				car.EmailOpened = timeline.Later(used.Sub(*em.SentAt))
			}
		}
		cs, err := con.Store.LiveCampaignsOfVehicle(ctx, v.ID)
		if err != nil {
			return sees, err
		}
		for _, c := range cs {
			car.Campaigns = append(car.Campaigns, consoleviews.CarCampaign{
				Name: c.Campaign.Name, URL: paths.ConsoleCampaign(c.Campaign.ID, nil),
				Done: c.Vehicle.CompletedAt != nil, Declined: c.Vehicle.DeclinedAt != nil,
			})
		}
		if car.OwnerChangedAt != nil {
			car.OwnerChangeSuspected = ownerChangeSuspected(evs, v.ID)
		}
		sees.Cars = append(sees.Cars, car)
	}
	return sees, nil
}

// lastEmailAbout is the newest email sent to the owner that was about the
// car (emails come newest first).
func lastEmailAbout(emails []store.EmailMessage, vehicleID int64) (store.EmailMessage, bool) {
	id := strconv.FormatInt(vehicleID, 10)
	for _, em := range emails {
		if em.Status != store.EmailSent || em.SentAt == nil {
			continue
		}
		if (em.VehicleID != nil && *em.VehicleID == vehicleID) || slices.Contains(strings.Split(em.VehicleIDs, ","), id) {
			return em, true
		}
	}
	return store.EmailMessage{}, false
}

// ownerChangeSuspected reports whether the newest change of hands on the
// owner's timeline for the car is only a suspicion (declined as sold or
// not theirs), not a move.
func ownerChangeSuspected(evs []model.Event, vehicleID int64) bool {
	for _, e := range evs {
		if e.VehicleID == nil || *e.VehicleID != vehicleID {
			continue
		}
		switch e.Kind {
		case model.EventOwnerChangeSuspected:
			return true
		case model.EventOwnerChanged:
			return false
		}
	}
	return false
}
