import ConFiTTestSupport
import Foundation

/// This target's committed fixtures (see Resources/make_fixtures.py).
let fixtures = FixtureFiles(Bundle.module)
