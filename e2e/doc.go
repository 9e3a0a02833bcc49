// Package e2e holds end-to-end tests that sign in through real OpenID
// providers in headless Chromium. The package has no code outside its tests.
//
// Each test starts its own stack on 127.0.0.1 and stops it when it ends.
// The stack is the tokenbridge binary (`tokenbridge serve` with a generated
// configuration), the Appwrite emulator in process, a demo app page that
// loads the official Appwrite web SDK, and one of these providers:
//
//   - zitadel/oidc's example OpenID provider, in process, with its own
//     login form;
//   - ORY Hydra v2.3.0 as a subprocess in memory, with telemetry off, and
//     a small login and consent app that reports decisions to Hydra's admin
//     API.
//
// Requirements, each skipped when missing unless TOKENBRIDGE_REQUIRE_E2E=1
// turns the skip into a failure:
//
//   - /usr/bin/chromium (Debian package chromium);
//   - the Node packages: npm ci --prefix testdata/npm;
//   - for the Hydra tests, the binary that `bash tools/hydra/build.sh`
//     builds and caches, or a path in TOKENBRIDGE_HYDRA.
//
// TOKENBRIDGE_E2E_BINARY names a tokenbridge binary to test instead of
// building ./cmd/tokenbridge. Screenshots go to TOKENBRIDGE_TEST_ARTIFACTS
// when it is set, else to each test's temporary folder.
package e2e
