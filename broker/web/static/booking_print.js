// The help desk's print button: shown only where script runs (else the browser's menu).
const printButton = document.getElementById("print");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
