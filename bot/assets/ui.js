() => {
  // [n] markers in answers jump to their passage in the sources panel. One delegated
  // listener on the document survives Gradio re-rendering the chat on every token.
  if (window.__kzCitesWired) return;
  window.__kzCitesWired = true;
  document.addEventListener("click", (event) => {
    const marker = event.target.closest && event.target.closest(".kz-cite");
    if (!marker) return;
    const id = marker.dataset.src || (marker.getAttribute("href") || "").replace(/^#/, "");
    if (!id) return;
    // Gradio opens chat links in a new tab; these are in-page anchors.
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById(id);
    if (!target) return;
    const group = target.closest("details");
    if (group) group.open = true;
    document.querySelectorAll(".kz-src.kz-active").forEach((el) => el.classList.remove("kz-active"));
    target.classList.add("kz-active");
    target.scrollIntoView({ behavior: "smooth", block: "center" });
  }, true);
}
