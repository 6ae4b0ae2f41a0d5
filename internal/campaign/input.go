package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// DefaultNoticeOffsets is the schedule when none is given: two weeks, one
// week and two days before the cut-over, on the day, and three days after.
var DefaultNoticeOffsets = []time.Duration{-336 * time.Hour, -168 * time.Hour, -48 * time.Hour, 0, 72 * time.Hour}

// Limits on a campaign's definition.
const (
	MaxNameLen        = 200   // characters
	MaxMakeLen        = 40    // bytes
	MaxModels         = 100   // model names
	MaxModelLen       = 100   // characters
	MaxCountries      = 250   // country codes
	MaxVehicleIDs     = 10000 // ids or VINs in a JSON request; larger lists go through the CSV upload
	MaxRefLen         = 255   // bytes of one vehicle id or VIN
	MaxLanguages      = 20    // custom_message entries
	MaxMessageLen     = 2000  // characters of one custom_message entry
	MaxOffsets        = 20    // notice_offsets entries
	MaxOffset         = 366 * 24 * time.Hour
	MaxWaveHold       = 30 * 24 * time.Hour
	MaxIdempotencyLen = 255 // bytes
)

var (
	makePattern     = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	// Cut-overs are planned events: anything outside this window is a typo.
	earliestCutover = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

const maxCutoverAhead = 10 * 365 * 24 * time.Hour

// Input defines a campaign (Create, PreviewInput). Zero values take the
// defaults noted.
type Input struct {
	// Name is staff's name for the campaign; required, at most 200 characters.
	Name string
	// Make is Smartcar's make in capitals (TESLA); required, ^[A-Z][A-Z0-9_]*$.
	Make string
	// Models narrows to these model names, matched exactly; nil: all.
	Models []string
	// YearFrom and YearTo bound the model year inclusively (1900–2100); 0: open.
	YearFrom, YearTo int
	// Countries narrows to vehicles registered in these ISO 3166-1 alpha-2
	// countries; nil: any.
	Countries []string
	// VehicleIDs narrows to these Smartcar vehicle ids or VINs (at most
	// MaxVehicleIDs; upload larger lists as CSV); nil: no list.
	VehicleIDs []string
	Reason     model.CampaignReason
	// CustomMessage is staff's own words by language tag; "en" is required
	// with ReasonOther.
	CustomMessage map[string]string
	// CutoverAt is when the carmaker switches; it may be in the past (only
	// notices from then on are sent, worded for after the cut-over).
	CutoverAt time.Time
	// BreaksConnections says connections stop working at the cut-over;
	// nil: true.
	BreaksConnections *bool
	// RepairFlow defaults to model.FlowReauthenticate.
	RepairFlow model.RepairFlow
	// NoticeOffsets are relative to CutoverAt, strictly ascending, whole
	// seconds within ±366 days; nil: DefaultNoticeOffsets.
	NoticeOffsets []time.Duration
	// FirstWave is the percentage of owners told at launch (1–100); 0:
	// the configured default (Settings), else 100.
	FirstWave int
	// WaveHold is how long the rest wait after the launch (0–30 days); 0:
	// the configured default.
	WaveHold time.Duration
	// IdempotencyKey makes a retried Create return the first campaign
	// instead of making a second; reusing it with another Input is a
	// *FieldError on IdempotencyKeyField.
	IdempotencyKey string
}

// campaign validates in and returns the draft it describes.
func (in Input) campaign() (model.Campaign, error) {
	c := model.Campaign{
		Name: strings.TrimSpace(in.Name), Make: strings.TrimSpace(in.Make), Models: in.Models,
		YearFrom: in.YearFrom, YearTo: in.YearTo, Countries: in.Countries, Reason: in.Reason,
		CustomMessage: in.CustomMessage, CutoverAt: in.CutoverAt.UTC(), BreaksConnections: true,
		RepairFlow: in.RepairFlow, NoticeOffsets: in.NoticeOffsets, FirstWave: in.FirstWave, WaveHold: in.WaveHold,
		IdempotencyKey: in.IdempotencyKey, HasVehicleList: len(in.VehicleIDs) > 0,
	}
	if in.BreaksConnections != nil {
		c.BreaksConnections = *in.BreaksConnections
	}
	if c.RepairFlow == "" {
		c.RepairFlow = model.FlowReauthenticate
	}
	if c.NoticeOffsets == nil {
		c.NoticeOffsets = slices.Clone(DefaultNoticeOffsets)
	}
	if c.FirstWave == 0 {
		c.FirstWave = 100
	}
	if len(in.VehicleIDs) > MaxVehicleIDs {
		return c, fieldErr("vehicle_ids", "holds at most %d entries; upload longer lists as CSV", MaxVehicleIDs)
	}
	for i, r := range in.VehicleIDs {
		if r = strings.TrimSpace(r); r == "" || len(r) > MaxRefLen {
			return c, fieldErr(fmt.Sprintf("vehicle_ids[%d]", i), "must be a Smartcar vehicle id or a VIN of 1 to %d characters", MaxRefLen)
		}
	}
	if len(in.IdempotencyKey) > MaxIdempotencyLen {
		return c, fieldErr(IdempotencyKeyField, "must be at most %d characters", MaxIdempotencyLen)
	}
	return c, validate(c)
}

// validate checks a campaign's definition, naming the first bad field.
func validate(c model.Campaign) error {
	switch {
	case c.Name == "":
		return fieldErr("name", "is required")
	case utf8.RuneCountInString(c.Name) > MaxNameLen:
		return fieldErr("name", "must be at most %d characters", MaxNameLen)
	case c.Make == "":
		return fieldErr("make", "is required, as Smartcar spells it, e.g. TESLA")
	case len(c.Make) > MaxMakeLen || !makePattern.MatchString(c.Make):
		return fieldErr("make", "must be Smartcar's make in capitals (^[A-Z][A-Z0-9_]*$), e.g. TESLA")
	case len(c.Models) > MaxModels:
		return fieldErr("models", "holds at most %d names", MaxModels)
	case len(c.Countries) > MaxCountries:
		return fieldErr("countries", "holds at most %d codes", MaxCountries)
	}
	for i, m := range c.Models {
		if strings.TrimSpace(m) == "" || utf8.RuneCountInString(m) > MaxModelLen {
			return fieldErr(fmt.Sprintf("models[%d]", i), "must be a model name of 1 to %d characters", MaxModelLen)
		}
	}
	for _, y := range []struct {
		field string
		year  int
	}{{"year_from", c.YearFrom}, {"year_to", c.YearTo}} {
		if y.year != 0 && (y.year < 1900 || y.year > 2100) {
			return fieldErr(y.field, "must be a model year between 1900 and 2100")
		}
	}
	if c.YearFrom != 0 && c.YearTo != 0 && c.YearFrom > c.YearTo {
		return fieldErr("year_to", "must not be before year_from")
	}
	for i, cc := range c.Countries {
		if !countryPattern.MatchString(cc) {
			return fieldErr(fmt.Sprintf("countries[%d]", i), "must be an ISO 3166-1 alpha-2 code in capitals, e.g. DE")
		}
	}
	if !c.Reason.Valid() {
		return fieldErr("reason", "must be one of %s", join(model.CampaignReasons))
	}
	if len(c.CustomMessage) > MaxLanguages {
		return fieldErr("custom_message", "holds at most %d languages", MaxLanguages)
	}
	for _, lang := range sortedKeys(c.CustomMessage) {
		msg := c.CustomMessage[lang]
		switch {
		case !languagePattern.MatchString(lang):
			return fieldErr("custom_message", "keys must be language tags such as en or pt-BR, not %q", lang)
		case strings.TrimSpace(msg) == "":
			return fieldErr("custom_message."+lang, "must not be empty")
		case utf8.RuneCountInString(msg) > MaxMessageLen:
			return fieldErr("custom_message."+lang, "must be at most %d characters", MaxMessageLen)
		}
	}
	if c.Reason == model.ReasonOther && strings.TrimSpace(c.CustomMessage["en"]) == "" {
		return fieldErr("custom_message.en", "is required when the reason is %s: say in your own words what changes", model.ReasonOther)
	}
	if c.CutoverAt.IsZero() {
		return fieldErr("cutover_at", "is required (RFC 3339, e.g. 2027-03-03T09:00:00Z)")
	}
	if c.CutoverAt.Before(earliestCutover) || c.CutoverAt.After(time.Now().Add(maxCutoverAhead)) {
		return fieldErr("cutover_at", "must be between 2000 and ten years from now")
	}
	if !c.RepairFlow.Valid() {
		return fieldErr("repair_flow", "must be one of %s", join(model.RepairFlows))
	}
	if len(c.NoticeOffsets) == 0 || len(c.NoticeOffsets) > MaxOffsets {
		return fieldErr("notice_offsets", "must hold 1 to %d offsets", MaxOffsets)
	}
	for i, d := range c.NoticeOffsets {
		field := fmt.Sprintf("notice_offsets[%d]", i)
		switch {
		case d%time.Second != 0:
			return fieldErr(field, "must be whole seconds")
		case d < -MaxOffset || d > MaxOffset:
			return fieldErr(field, "must be within %s of the cut-over", MaxOffset)
		case i > 0 && d <= c.NoticeOffsets[i-1]:
			return fieldErr(field, "must come after the offset before it: offsets are strictly ascending")
		}
	}
	if c.FirstWave < 1 || c.FirstWave > 100 {
		return fieldErr("first_wave", "must be a percentage from 1 to 100")
	}
	if c.WaveHold < 0 || c.WaveHold > MaxWaveHold || c.WaveHold%time.Second != 0 {
		return fieldErr("wave_hold", "must be whole seconds from 0 to %s", MaxWaveHold)
	}
	return nil
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// normalizeRefs trims a vehicle list and drops repeats, keeping the order.
func normalizeRefs(refs []string) []string {
	seen := make(map[string]bool, len(refs))
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		r = strings.TrimSpace(r)
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// fingerprint is a digest of what a create request asked for, so that a
// retry with the same key is recognised and another body is not.
func fingerprint(c model.Campaign, refs []string) string {
	c.IdempotencyKey = ""
	b, _ := json.Marshal(struct {
		C    model.Campaign
		Refs []string
	}{c, refs})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Create saves a draft campaign. With an idempotency key, a repeat of the
// same request returns the campaign the first one made (even when two
// arrive at once), and the same key with another request is a *FieldError
// on IdempotencyKeyField. Bad input is a *FieldError naming the field.
func (s *Service) Create(ctx context.Context, in Input) (model.Campaign, error) {
	// A campaign without its own waves gets the configured ones.
	if in.FirstWave == 0 {
		in.FirstWave = s.settings.FirstWave
	}
	if in.WaveHold == 0 {
		in.WaveHold = s.settings.WaveHold
	}
	c, err := in.campaign()
	if err != nil {
		return model.Campaign{}, err
	}
	refs := normalizeRefs(in.VehicleIDs)
	hash := fingerprint(c, refs)
	var out model.Campaign
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		created, err := tx.CreateCampaign(ctx, c, hash)
		if err != nil {
			return err
		}
		out = created
		return tx.AddCampaignTargets(ctx, created.ID, refs)
	})
	if errors.Is(err, store.ErrConflict) && c.IdempotencyKey != "" {
		prev, prevHash, gerr := s.store.CampaignByIdempotencyKey(ctx, c.IdempotencyKey)
		if gerr != nil {
			return model.Campaign{}, gerr
		}
		if prevHash != hash {
			return model.Campaign{}, fieldErr(IdempotencyKeyField, "was already used for another request; use a new key for a new campaign")
		}
		return prev, nil
	}
	return out, err
}

// Patch changes some fields of a campaign (nil: unchanged). VehicleIDs
// replaces the whole list; an empty one removes it.
type Patch struct {
	Name              *string
	Make              *string
	Models            *[]string
	YearFrom, YearTo  *int
	Countries         *[]string
	VehicleIDs        *[]string
	Reason            *model.CampaignReason
	CustomMessage     *map[string]string
	CutoverAt         *time.Time
	BreaksConnections *bool
	RepairFlow        *model.RepairFlow
	NoticeOffsets     *[]time.Duration
	FirstWave         *int
	WaveHold          *time.Duration
}

// onlyCutover reports whether the patch changes nothing but the cut-over.
func (p Patch) onlyCutover() bool {
	q := p
	q.CutoverAt = nil
	return q == Patch{}
}

// apply returns c with the patch's fields set.
func (p Patch) apply(c model.Campaign) model.Campaign {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Name, p.Name)
	set(&c.Make, p.Make)
	if p.Models != nil {
		c.Models = *p.Models
	}
	if p.YearFrom != nil {
		c.YearFrom = *p.YearFrom
	}
	if p.YearTo != nil {
		c.YearTo = *p.YearTo
	}
	if p.Countries != nil {
		c.Countries = *p.Countries
	}
	if p.Reason != nil {
		c.Reason = *p.Reason
	}
	if p.CustomMessage != nil {
		c.CustomMessage = *p.CustomMessage
	}
	if p.CutoverAt != nil {
		c.CutoverAt = p.CutoverAt.UTC()
	}
	if p.BreaksConnections != nil {
		c.BreaksConnections = *p.BreaksConnections
	}
	if p.RepairFlow != nil {
		c.RepairFlow = *p.RepairFlow
	}
	if p.NoticeOffsets != nil {
		c.NoticeOffsets = *p.NoticeOffsets
	}
	if p.FirstWave != nil {
		c.FirstWave = *p.FirstWave
	}
	if p.WaveHold != nil {
		c.WaveHold = *p.WaveHold
	}
	if p.VehicleIDs != nil {
		c.HasVehicleList = len(*p.VehicleIDs) > 0
	}
	return c
}

// Update changes a draft. A running or paused campaign takes a new
// cutover_at only: its pending notices move with it and every owner who
// was already told a date gets one "new date" notice. Anything else is
// ErrTransition; bad input is a *FieldError.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (model.Campaign, error) {
	var out model.Campaign
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case c.State == model.CampaignDraft:
		case c.State.Live() && p.onlyCutover():
			if p.CutoverAt == nil || p.CutoverAt.Equal(c.CutoverAt) {
				out = c
				return nil
			}
			out, err = s.reschedule(ctx, tx, c, p.CutoverAt.UTC())
			return err
		default:
			return fmt.Errorf("%w: a %s campaign can change only its cutover_at", ErrTransition, c.State)
		}
		next := p.apply(c)
		if p.VehicleIDs != nil {
			if len(*p.VehicleIDs) > MaxVehicleIDs {
				return fieldErr("vehicle_ids", "holds at most %d entries; upload longer lists as CSV", MaxVehicleIDs)
			}
			for i, r := range *p.VehicleIDs {
				if r = strings.TrimSpace(r); r == "" || len(r) > MaxRefLen {
					return fieldErr(fmt.Sprintf("vehicle_ids[%d]", i), "must be a Smartcar vehicle id or a VIN of 1 to %d characters", MaxRefLen)
				}
			}
		}
		if err := validate(next); err != nil {
			return err
		}
		if p.VehicleIDs != nil {
			if err := tx.ClearCampaignTargets(ctx, id); err != nil {
				return err
			}
			if err := tx.AddCampaignTargets(ctx, id, normalizeRefs(*p.VehicleIDs)); err != nil {
				return err
			}
		}
		out, err = tx.SaveCampaignRules(ctx, next)
		return err
	})
	return out, err
}
