// Drift classes on Debian 13 (the suite: driftSuite.ts).
import { driftSuite } from "./driftSuite";

driftSuite("h20");
