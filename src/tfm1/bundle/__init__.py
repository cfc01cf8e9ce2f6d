"""`tfm1 bundle`: one file with a lock and everything its setup needs (`build`), and its check (`offline_check`)."""
