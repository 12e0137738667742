// The "Copy link" button under a story: shown only where the browser can copy; the page works without it.
document.querySelectorAll(".share__copy").forEach((button) => {
  if (!navigator.clipboard) return;
  const status = button.parentElement.querySelector(".share__status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.url);
      status.textContent = button.dataset.copied;
    } catch {
      status.textContent = button.dataset.url; // copying refused: the address, to copy by hand
    }
  });
});
