// The story form warns before the editor leaves it with changes not saved: the browser asks "Leave site?" once a
// field has changed, until the form is submitted (any of its buttons, Create a preview link included, saves them).
function guardUnsavedChanges(form) {
  let changed = false;
  const warn = (event) => {
    if (changed) {
      event.preventDefault();
      event.returnValue = ""; // older browsers need it set to show the prompt
    }
  };
  const arm = () => {
    changed = true;
  };
  form.addEventListener("input", arm);
  form.addEventListener("change", arm);
  form.addEventListener("submit", () => {
    changed = false;
  });
  window.addEventListener("beforeunload", warn);
}

function guardStoryForm() {
  const form = document.getElementById("newsstory_form");
  if (form) {
    guardUnsavedChanges(form);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", guardStoryForm);
} else {
  guardStoryForm();
}
