package walogs_test

import (
	"testing"

	walogs "example.invalid/walogs"
)

// The package and the library it links in this repository are the same release.
func TestPackageVersionIsTheLibrarys(t *testing.T) {
	if got := walogs.Version(); got != walogs.PackageVersion {
		t.Fatalf("libwalogs reports %q, the Go package is %q", got, walogs.PackageVersion)
	}
}
