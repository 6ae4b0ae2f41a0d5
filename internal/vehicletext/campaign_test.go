package vehicletext

import (
	"strings"
	"testing"
	"time"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
)

// After the cut-over the reason is told as something that happened on a
// date, not as something coming; before it, as something coming.
func TestCampaignReasonTenseFollowsTheCutover(t *testing.T) {
	cat := i18n.MustNew()
	cut := time.Date(2027, 3, 3, 9, 0, 0, 0, time.UTC)
	coming := map[string]string{"en": "is ", "de": "Danach", "fr": "Ensuite", "es": "Después"}
	past := map[string]string{"en": "Since then", "de": "Seitdem", "fr": "Depuis", "es": "Desde entonces"}
	day := map[string]string{"en": "3 March", "de": "3. März", "fr": "3 mars", "es": "3 de marzo"}
	for _, l := range i18n.Supported {
		loc := cat.Localizer(l.Tag)
		for _, r := range model.CampaignReasons {
			if r == model.ReasonOther {
				continue // staff's own words, the same before and after
			}
			c := model.Campaign{Make: "TESLA", Reason: r, CutoverAt: cut, BreaksConnections: true}
			before := Campaign(loc, c, "ChargeWell", cut.Add(-48*time.Hour), time.UTC)
			after := Campaign(loc, c, "ChargeWell", cut.Add(72*time.Hour), time.UTC)
			if !strings.Contains(before.Reason, coming[l.Tag]) || strings.Contains(before.Reason, past[l.Tag]) {
				t.Errorf("%s %s before: %q", l.Tag, r, before.Reason)
			}
			if !strings.Contains(after.Reason, past[l.Tag]) || !strings.Contains(after.Reason, day[l.Tag]) {
				t.Errorf("%s %s after: %q", l.Tag, r, after.Reason)
			}
		}
	}
}
