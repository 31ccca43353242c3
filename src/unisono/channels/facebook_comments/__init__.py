"""Facebook page comments: the ``feed`` webhook in, replies (``/{comment_id}/comments``) out."""
