() => {
  // [n] markers in answers, the briefing and the glossary jump to their passage card. One
  // delegated listener on the document survives Gradio re-rendering the chat on every token.
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

  // "Ask in chat" next to a glossary term: put "What is <term>?" in the box and send it,
  // unless an answer is streaming (the box is disabled then).
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".kz-term-ask");
    if (!button) return;
    event.preventDefault();
    const box = document.querySelector("#kz-question textarea");
    const send = document.querySelector("#kz-send");
    if (!box || !send || box.disabled || send.disabled) return;
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
    setValue.call(box, button.dataset.ask || "");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => send.click(), 60);  // let Gradio take the new value first
  });
}
