// The report's Print button (no inline handlers: the CSP allows our own scripts only).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
