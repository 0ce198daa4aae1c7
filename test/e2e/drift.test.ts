// Drift classes 1-7 on Debian 12 (the suite: driftSuite.ts; 8-14 in drift-2.test.ts, on a host of their own).
import { driftSuite } from "./driftSuite";

driftSuite("h19", [1, 2, 3, 4, 5, 6, 7], false);
