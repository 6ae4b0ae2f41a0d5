package model_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reconnect/internal/model"
)

// vocabulary maps every value of the model's typed constants to the types
// that declare it ("declined" is both a State and an EventKind).
func vocabulary() map[string][]string {
	words := map[string][]string{}
	add := func(typ string, v string) { words[v] = append(words[v], typ) }
	for _, s := range model.States {
		add("State", string(s))
	}
	for _, k := range model.EventKinds {
		add("EventKind", string(k))
	}
	for _, s := range model.Sources {
		add("Source", string(s))
	}
	for _, a := range model.AuditActions {
		add("AuditAction", string(a))
	}
	for _, s := range model.CampaignStates {
		add("CampaignState", string(s))
	}
	for _, r := range model.CampaignReasons {
		add("CampaignReason", string(r))
	}
	for _, f := range model.RepairFlows {
		add("RepairFlow", string(f))
	}
	for _, s := range model.FunnelSteps {
		add("FunnelStep", string(s))
	}
	for _, c := range model.OwnerChangeCauses {
		add("OwnerChangeCause", string(c))
	}
	for _, r := range model.EscalationReasons {
		add("EscalationReason", string(r))
	}
	for _, r := range model.PauseReasons {
		add("PauseReason", string(r))
	}
	for _, e := range model.HostEvents {
		add("HostEvent", string(e))
	}
	for _, r := range model.MailReports {
		add("MailReport", string(r))
	}
	return words
}

// vocabularyTypes are the model's typed words that vocabulary lists.
var vocabularyTypes = []string{"State", "EventKind", "Source", "AuditAction", "CampaignState", "CampaignReason", "RepairFlow", "FunnelStep", "OwnerChangeCause", "EscalationReason", "PauseReason", "HostEvent", "MailReport"}

// TestVocabularyListsAreComplete keeps the lists (States, EventKinds, Sources,
// AuditActions, CampaignStates, …) in step with the constants declared in
// this package, so the scan below cannot miss a word.
func TestVocabularyListsAreComplete(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	words := vocabulary()
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || !slices.Contains(vocabularyTypes, id.Name) {
					continue
				}
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok {
						continue
					}
					s, _ := strconv.Unquote(lit.Value)
					if !slices.Contains(words[s], id.Name) {
						t.Errorf("%s (%q) is declared but missing from the list of every %s", vs.Names[i].Name, s, id.Name)
					}
				}
			}
		}
	}
}

// otherNames are the functions, methods and types whose string arguments
// name something other than the model's words, which happen to be spelled
// alike: HTML form fields and query parameters, command-line flags and
// commands, SQL columns, log attribute keys and messages, input fields in
// error answers and the console's navigation. A literal there is not
// vocabulary.
var otherNames = map[string]bool{
	// HTTP: form fields, query and path parameters.
	"FormValue": true, "QueryParam": true, "Param": true,
	// url.Values.
	"Set": true, "Get": true, "Add": true, "Del": true, "Has": true,
	// Command-line flags and commands.
	"NewFlagSet": true, "String": true, "Bool": true, "Int": true, "Duration": true,
	// SQL through GORM.
	"Order": true, "Select": true, "Where": true, "Pluck": true, "Table": true, "AssignmentColumns": true,
	// The classification of every column (store.Columns): table and column names.
	"column": true,
	// slog: attribute keys and messages.
	"Debug": true, "Info": true, "Warn": true, "Error": true, "With": true,
	// Field names in error answers, and the console's navigation sections.
	"FieldError": true, "InputError": true, "FieldErrors": true, "chrome": true,
	// textcheck: the field a check names.
	"Line": true, "Text": true,
}

// exempt lists single literals, file by file, that are spelled like a model
// word but name something else; each says what.
var exempt = map[string][]string{
	"internal/smartcar/webhook.go":              {"schedule"},            // Smartcar's webhook trigger type
	"internal/smartcarsim/connect_authorize.go": {"email"},               // the simulator's login form field
	"cmd/reconnect/main.go":                     {"demo"},                // the name of the demo command
	"cmd/reconnect/sim.go":                      {"demo"},                // a setting that came from the demo's defaults
	"internal/ingest/metrics.go":                {"webhook"},             // a Prometheus subsystem
	"internal/store/search.go":                  {"email"},               // the console's search field, a column
	"web/session/session.go":                    {"owner"},               // a key inside the owner's cookie
	"internal/store/email_messages.go":          {"cancelled", "failed"}, // an email's status, not a campaign's or a funnel step
	"internal/store/campaign_notices.go":        {"cancelled"},           // a notice's status, not a campaign's
	"web/api/json_bind.go":                      {"email"},               // a JSON field of the API
	"internal/store/connect_states.go":          {"failed"},              // how a trip to Connect ended, not a funnel step
	"internal/store/host_webhook_deliveries.go": {"failed"},              // a delivery's status
	"internal/store/webhook_events.go":          {"failed"},              // an event's processing status
	"internal/hostwebhook/hostwebhook.go":       {"failed"},              // a Prometheus label value
	"web/ops.go":                                {"unreachable"},         // the readiness answer about the database
	"internal/repair/connect_errors.go":         {"other"},               // the metrics bucket of unlisted Connect errors
	"internal/timeline/timeline.go":             {"failed"},              // a word in a timeline sentence
}

func calleeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return calleeName(e.X)
	}
	return ""
}

// TestNoVocabularyOutsideModel fails when Go code outside this package
// spells one of the model's words as a string literal instead of using the
// constant: a loose "callback" once decided silently which host webhook was
// sent. Tests are exempt; they may spell the stored values on purpose. So is
// generated templ code, whose literals are HTML.
func TestNoVocabularyOutsideModel(t *testing.T) {
	words := vocabulary()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			if filepath.Clean(path) == filepath.Join(root, "internal", "model") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.CallExpr:
				if otherNames[calleeName(n.Fun)] {
					return false
				}
			case *ast.CompositeLit:
				if otherNames[calleeName(n.Type)] {
					return false
				}
			case *ast.FuncDecl:
				if n.Name.Name == "TableName" {
					return false
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil || slices.Contains(exempt[rel], s) {
					return true
				}
				if typs, ok := words[s]; ok {
					t.Errorf("%s: %q is a model.%s: use the constant", fset.Position(n.Pos()), s, strings.Join(typs, " and model."))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
