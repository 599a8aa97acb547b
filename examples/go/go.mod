module example.invalid/walogs/examples

go 1.24

require example.invalid/walogs v0.0.0

// The Go package lives in this repository; there is nothing to download.
replace example.invalid/walogs => ../../bindings/go
