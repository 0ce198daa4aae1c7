from django.db import models


class Note(models.Model):
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    # Added in the second release (migration 0003): existing rows get the default.
    author = models.CharField(max_length=100, default='anonymous')

    def __str__(self):
        return f'{self.text} (by {self.author})'
