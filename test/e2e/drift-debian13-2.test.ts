// Drift classes 8-14 on Debian 13, and what the stack does not own (the suite: driftSuite.ts).
import { driftSuite } from "./driftSuite";

driftSuite("h33", [8, 9, 10, 11, 12, 13, 14], true);
