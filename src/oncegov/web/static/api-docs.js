// Starts Swagger UI on /api/v1/docs. A file of its own: the Content-Security-Policy allows
// no inline script.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default would send our spec to a third-party validator
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
