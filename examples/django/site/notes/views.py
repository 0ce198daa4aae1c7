from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .models import Note


# A demo guest book: anyone may add a note with a plain form POST (no CSRF token, so `curl -d text=...`
# works). A real site would put writes behind a login; the admin at /admin/ is the authenticated way.
@csrf_exempt
@require_http_methods(['GET', 'POST'])
def note_list(request):
    if request.method == 'POST':
        text = request.POST.get('text', '').strip()
        if not text:
            return HttpResponseBadRequest('a note needs some text\n')
        Note.objects.create(text=text[:1000])
        return redirect('note-list')
    return render(request, 'notes/list.html', {'notes': Note.objects.order_by('created', 'id')})


# For the provider's health check after each deploy: 200 only when the database answers with the schema the code
# expects (the query selects every column of the model, so a migration missing from the database fails here).
@require_http_methods(['GET'])
def health(request):
    Note.objects.order_by('-id').first()
    return HttpResponse('ok\n', content_type='text/plain')
