package session

import (
	"encoding/json"
	"fmt"
)

// jsonSerializer encodes session values (string keys; string, int64 and bool
// values, which is all the app stores) as JSON. gob, the default, compiles a
// decoder on every request, which showed up as a top cost of every page.
type jsonSerializer struct{}

type typed struct {
	S *string `json:"s,omitempty"`
	I *int64  `json:"i,omitempty"`
	B *bool   `json:"b,omitempty"`
}

func (jsonSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session: cannot serialize %T", src)
	}
	out := make(map[string]typed, len(values))
	for k, v := range values {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session: key %v is not a string", k)
		}
		switch x := v.(type) {
		case string:
			out[ks] = typed{S: &x}
		case int64:
			out[ks] = typed{I: &x}
		case bool:
			out[ks] = typed{B: &x}
		default:
			return nil, fmt.Errorf("session: value of %q has unsupported type %T", ks, v)
		}
	}
	return json.Marshal(out)
}

func (jsonSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session: cannot deserialize into %T", dst)
	}
	var in map[string]typed
	if err := json.Unmarshal(src, &in); err != nil {
		return err
	}
	for k, v := range in {
		switch {
		case v.S != nil:
			(*values)[k] = *v.S
		case v.I != nil:
			(*values)[k] = *v.I
		case v.B != nil:
			(*values)[k] = *v.B
		}
	}
	return nil
}
