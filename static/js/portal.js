// Portal-wide behaviour, kept out of the markup (the Content-Security-Policy allows no inline
// script or event handler): a form with data-confirm="question" asks before it submits.
(function () {
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
