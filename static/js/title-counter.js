// The story title's length, counted as the editor types: "37 of 200 characters", and a warning past the limit.
// The form refuses a longer title with a message (the box has no maxlength, which would cut pasted text silently).
function countTitle(input) {
  const counter = document.createElement("span");
  counter.className = "title-counter";
  counter.setAttribute("aria-live", "polite");
  input.after(counter);
  const limit = Number(input.dataset.limit);
  const show = () => {
    const count = [...input.value].length; // characters as the server counts them, Chinese included
    const template = count > limit ? input.dataset.overTemplate : input.dataset.countTemplate;
    counter.textContent = template.replace("%(count)s", count).replace("%(limit)s", limit);
    counter.classList.toggle("title-counter--over", count > limit);
  };
  input.addEventListener("input", show);
  show();
}

function countTitles() {
  document.querySelectorAll("input[data-count-template]").forEach(countTitle);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", countTitles);
} else {
  countTitles();
}
