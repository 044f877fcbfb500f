// /me: each exercise card shows its demonstration (demo.js). On a wide screen the next
// exercise to do has its "How to do it" open; on a phone every card stays short, so each
// Start button is a short scroll away.
import { mountDemos } from "./demo.js";

const next = document.querySelector("details.how-to[data-next]");
if (next && window.matchMedia("(min-width: 700px)").matches) next.open = true;
mountDemos(document);
