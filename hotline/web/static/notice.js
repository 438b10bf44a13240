// The notice page's print button (the CSP forbids an inline onclick).
"use strict";
document.getElementById("print")?.addEventListener("click", () => window.print());
