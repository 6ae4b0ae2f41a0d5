package api

import "reflect"

// RequestTypes are the JSON bodies the API decodes, for the test that
// every string field of each has a limit.
func RequestTypes() []reflect.Type {
	return []reflect.Type{reflect.TypeFor[ownerJSON](), reflect.TypeFor[vehicleJSON](), reflect.TypeFor[linkRequest]()}
}

// SetExportFlushed makes the vehicle export call f after each flush, until
// the returned function restores it.
func SetExportFlushed(f func(rows int64)) (restore func()) {
	old := exportFlushed
	exportFlushed = f
	return func() { exportFlushed = old }
}
