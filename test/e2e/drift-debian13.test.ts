// Drift classes 1-7 on Debian 13 (the suite: driftSuite.ts; 8-14 in drift-debian13-2.test.ts).
import { driftSuite } from "./driftSuite";

driftSuite("h20", [1, 2, 3, 4, 5, 6, 7], false);
