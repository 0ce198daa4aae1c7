// Drift classes on Debian 12 (the suite: driftSuite.ts).
import { driftSuite } from "./driftSuite";

driftSuite("h19");
