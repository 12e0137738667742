// The story form's preview links: a Copy button beside each link puts it in the clipboard and says "Copied" (the
// labels come translated in data attributes). Where the clipboard is refused (no secure context, no permission),
// the link is selected instead, for the editor to copy by hand. The button is hidden until this script shows it.
function copyLink(button) {
  const input = button.previousElementSibling;
  const label = button.textContent;
  const copied = () => {
    button.textContent = button.dataset.copiedLabel;
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  };
  const select = () => {
    input.focus();
    input.select();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(copied, select);
  } else {
    select();
  }
}

function showCopyButtons() {
  document.querySelectorAll("button.copy-link").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => copyLink(button));
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", showCopyButtons);
} else {
  showCopyButtons();
}
