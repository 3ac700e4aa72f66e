import ConFiTTestSupport
import Foundation

/// This target's committed fixtures (see Resources/make_pth_fixtures.py).
let fixtures = FixtureFiles(Bundle.module)
