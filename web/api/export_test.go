package api

import "reflect"

// RequestTypes are the JSON bodies the API decodes, for the test that
// every string field of each has a limit.
func RequestTypes() []reflect.Type {
	return []reflect.Type{reflect.TypeFor[ownerJSON](), reflect.TypeFor[vehicleJSON](), reflect.TypeFor[linkRequest]()}
}
