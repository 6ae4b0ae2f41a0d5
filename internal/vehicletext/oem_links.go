package vehicletext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"reconnect/internal/model"
)

// oemPage is one carmaker page an owner is sent to, with the public page it
// was taken from, so that whoever checks the table can check each entry.
type oemPage struct {
	URL    string
	Source string
}

// oemPages is where each make's owners fix each carmaker-side problem. Only
// pages whose address we could check on the carmaker's own public material
// are listed; every other make and case falls back to a sentence that sends
// the owner to the carmaker's app or account. An operator adds or replaces
// entries with OEM_LINKS_FILE. Keys are Smartcar's makes, upper case, with
// '_' between words.
var oemPages = map[string]map[model.OEMCase]oemPage{
	// Tesla's Account Support page covers signing in, adding and removing a
	// car, and the account's subscriptions.
	"TESLA": {
		model.OEMSubscription:   {"https://www.tesla.com/support/account-support", "https://www.tesla.com/support/account-support"},
		model.OEMAccountIssue:   {"https://www.tesla.com/support/account-support", "https://www.tesla.com/support/account-support"},
		model.OEMVehicleMissing: {"https://www.tesla.com/support/account-support", "https://www.tesla.com/support/account-support"},
		model.OEMNoVehicles:     {"https://www.tesla.com/support/account-support", "https://www.tesla.com/support/account-support"},
	},
	// The Mercedes me portal, as the Mercedes-Benz operator's manuals name it
	// ("Further information about Mercedes me connect services can be
	// obtained in the Mercedes me Portal"): account, terms, linked cars and
	// the Mercedes me Store.
	"MERCEDES_BENZ": {
		model.OEMSubscription:   {"https://me.secure.mercedes-benz.com", "Mercedes-Benz operator's manual, section Mercedes me connect"},
		model.OEMAccountIssue:   {"https://me.secure.mercedes-benz.com", "Mercedes-Benz operator's manual, section Mercedes me connect"},
		model.OEMVehicleMissing: {"https://me.secure.mercedes-benz.com", "Mercedes-Benz operator's manual, section Mercedes me connect"},
		model.OEMNoVehicles:     {"https://me.secure.mercedes-benz.com", "Mercedes-Benz operator's manual, section Mercedes me connect"},
	},
	// GM's "How to Change or Cancel Your OnStar Plans" explains renewing an
	// expired OnStar plan online; it is the same for GM's brands (US).
	"CHEVROLET": {model.OEMSubscription: gmPlans},
	"GMC":       {model.OEMSubscription: gmPlans},
	"CADILLAC":  {model.OEMSubscription: gmPlans},
	"BUICK":     {model.OEMSubscription: gmPlans},
}

var gmPlans = oemPage{
	"https://experience.gm.com/support/account/plans-services/change-cancel-service-plans",
	"https://experience.gm.com/support/account/plans-services/change-cancel-service-plans",
}

// OEMLinks answers where an owner fixes a carmaker-side problem: the
// built-in table with the operator's entries on top.
type OEMLinks struct {
	urls map[string]map[model.OEMCase]string
}

// NewOEMLinks merges the operator's entries (make → case → URL, as
// ParseOEMLinks returns them) over the built-in table.
func NewOEMLinks(overrides map[string]map[model.OEMCase]string) *OEMLinks {
	l := &OEMLinks{urls: map[string]map[model.OEMCase]string{}}
	for mk, cases := range oemPages {
		l.urls[mk] = map[model.OEMCase]string{}
		for c, p := range cases {
			l.urls[mk][c] = p.URL
		}
	}
	for mk, cases := range overrides {
		if l.urls[mk] == nil {
			l.urls[mk] = map[model.OEMCase]string{}
		}
		for c, u := range cases {
			l.urls[mk][c] = u
		}
	}
	return l
}

// URL is the page for the make and case, or "" when we know none.
func (l *OEMLinks) URL(make string, c model.OEMCase) string {
	if l == nil {
		return ""
	}
	return l.urls[makeKey(make)][c]
}

// makeKey spells a make the way Smartcar does: "Mercedes-Benz" and
// "MERCEDES_BENZ" are the same make.
func makeKey(make string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToUpper(strings.TrimSpace(make)))
}

// ParseOEMLinks reads the operator's OEM_LINKS_FILE: a JSON object of makes,
// each an object of cases ("subscription", "account_issue",
// "vehicle_missing", "no_vehicles") to https URLs. Anything else is refused
// with what is wrong, so a typo stops the start rather than sending owners
// nowhere.
func ParseOEMLinks(b []byte) (map[string]map[model.OEMCase]string, error) {
	var raw map[string]map[string]string
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of makes, each an object of cases to URLs: %v", err)
	}
	out := map[string]map[model.OEMCase]string{}
	makes := make([]string, 0, len(raw))
	for mk := range raw {
		makes = append(makes, mk)
	}
	sort.Strings(makes)
	for _, mk := range makes {
		key := makeKey(mk)
		if key == "" {
			return nil, fmt.Errorf("an empty make")
		}
		if out[key] == nil {
			out[key] = map[model.OEMCase]string{}
		}
		for c, u := range raw[mk] {
			oc := model.OEMCase(c)
			if !oc.Valid() {
				return nil, fmt.Errorf("%s: unknown case %q (use %s)", mk, c, caseList())
			}
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "https" || pu.Host == "" || pu.User != nil {
				return nil, fmt.Errorf("%s.%s: %q is not an https URL", mk, c, u)
			}
			out[key][oc] = u
		}
	}
	return out, nil
}

func caseList() string {
	names := make([]string, len(model.OEMCases))
	for i, c := range model.OEMCases {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// OEMCaseOf says which carmaker-side problem a vehicle has, if any.
func OEMCaseOf(v model.Vehicle) (model.OEMCase, bool) {
	if v.State != model.StateNeedsOEMAction {
		return "", false
	}
	c := model.OEMCase(strings.ToLower(reasonCode(v.Reason)))
	if !c.Valid() {
		// An unknown carmaker-side reason reads as an account issue.
		return model.OEMAccountIssue, true
	}
	return c, true
}

func reasonCode(reason string) string {
	if i := strings.LastIndex(reason, ":"); i >= 0 {
		return reason[i+1:]
	}
	return reason
}
