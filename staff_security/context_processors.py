from django.contrib import admin


def admin_site_for_parler_pages(request):
    """django-parler renders its "delete translation" confirmation without the admin site's context, so the page
    would lack the site's name, the staff member's links and the sidebar: they are added here, for that page only."""
    match = request.resolver_match
    if match is None or not (match.url_name or "").endswith("_delete_translation"):
        return {}
    return admin.site.each_context(request)
