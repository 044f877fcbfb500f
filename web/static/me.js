// /me: each exercise card shows its demonstration (demo.js).
import { mountDemos } from "./demo.js";

mountDemos(document);
