// Cut points 1-6 (the suite: cutSuite.ts; 7-12 in cut-2.test.ts, on a host of their own).
import { cutSuite } from "./cutSuite";

cutSuite("h11", [1, 2, 3, 4, 5, 6], { release: "r1" });
