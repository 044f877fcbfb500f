// Review pages: [data-copy] buttons copy the text of the element they name; [data-print]
// buttons print the page. A module file, because the pages' CSP forbids inline scripts.
import { t } from "./i18n.js";
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.status || "");
    const text = source ? source.textContent.trim() : "";
    try {
      await navigator.clipboard.writeText(text);
      if (status) status.textContent = t("Copied.");
    } catch {
      // No clipboard (an insecure origin, a refused permission): select it for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (status) status.textContent = t("Selected: press Ctrl+C (or Cmd+C) to copy.");
    }
  });
}
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
