// Cut points 7-12 (the suite: cutSuite.ts), from the state points 1-6 leave: release r3, threads 5.
import { cutSuite } from "./cutSuite";

cutSuite("h34", [7, 8, 9, 10, 11, 12], { release: "r3", threads: "5" });
